from negotiation_intake.entrypoints.bootstrap import main

main()
