"""The bundled sample round (package data: xlkit.samples), made from the seed documents."""
