"""The botocore engine: the client, its error mapping, and every botocore call of the store."""
