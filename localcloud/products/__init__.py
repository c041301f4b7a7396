"""One module per product; each defines ``SERVICE`` (see ``localcloud.service``)."""
