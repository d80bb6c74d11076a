"""xlsx plumbing, each kind once: ``zip`` (members read straight from a file's bytes, zips
written whole), ``xml`` (text escaped as xlsxwriter escapes it, the safe expat parser),
``parts`` (workbook.xml and its relationships → each sheet's part), ``protect`` (sheet
protection), ``safety`` (the prechecks a returned file passes before anything parses it)."""
