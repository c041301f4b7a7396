"""The endpoint keeper: discover, resolve and route what an IDC needs to reach the registry."""
