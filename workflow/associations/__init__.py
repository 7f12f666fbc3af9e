"""The ethno-cultural and other public associations that propose candidates."""
