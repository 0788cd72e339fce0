"""Collection: the points where personal data comes in, consent, cookies and logs."""
