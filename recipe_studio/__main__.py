"""`python -m recipe_studio` (also what `torchrun -m recipe_studio` runs)."""

from recipe_studio.cli import main

if __name__ == "__main__":
    main()
