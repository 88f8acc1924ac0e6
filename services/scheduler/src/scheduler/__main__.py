from scheduler.entrypoints.bootstrap import main

main()
