"""The lean signed-HTTP path: http.client + SigV4 for small requests, no botocore."""
