"""Test support: a local S3 server, a fault proxy, the protocol pipe harness."""
