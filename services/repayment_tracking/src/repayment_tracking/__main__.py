from repayment_tracking.entrypoints.bootstrap import main

main()
