from notification.entrypoints.bootstrap import main

main()
