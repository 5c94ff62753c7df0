"""The lean signed-HTTP path: HTTP/1.1 over a socket (llhttp parses) + SigV4 for small requests, no
botocore."""
