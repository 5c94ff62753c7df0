"""The git-annex side: the line protocol and the adapter from requests to store calls."""
