"""Analysis package of the peer-worker thesis compendium."""
