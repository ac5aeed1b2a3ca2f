"""The wall board: a team's figures for today and the month, on a screen on the sales floor."""
