from overdue_detection.entrypoints.bootstrap import main

main()
