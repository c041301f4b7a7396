"""The demo: acrguard's story played on the local cloud through the real SDKs and handlers."""
