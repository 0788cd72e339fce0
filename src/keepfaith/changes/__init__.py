"""Changes: publishing new versions of a statement and announcing them as promised."""
