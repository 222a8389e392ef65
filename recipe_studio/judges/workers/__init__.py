"""Worker scripts run by path with each library's interpreter (not imported by recipe_studio)."""
