"""The catalog: services and the teams that own them, the nouns every app shares."""
