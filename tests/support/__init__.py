"""What the test modules share: data paths, a loopback server, feed and config builders, checks and fixtures."""
