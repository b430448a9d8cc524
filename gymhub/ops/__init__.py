"""Operations run from the CLI beside a live server: backup, restore and the data-dir check."""
