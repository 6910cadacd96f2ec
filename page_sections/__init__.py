"""Sections of the longer pages, one function each: the page calls it where the section is drawn."""
