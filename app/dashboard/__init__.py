"""The leadership dashboard: the month's indicators and charts, each linking to the list behind it."""
