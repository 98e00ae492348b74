from bookshelf.server import main

main()
