from plan_calculation.entrypoints.bootstrap import main

main()
