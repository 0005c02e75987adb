"""One loader per source format. A loader reads files and returns records; it never touches
the database. Which loader reads which file is decided by folder and extension (see README)."""
