from kb.cli import main

if __name__ == "__main__":  # not when a process a build starts afresh imports it
    main()
