"""The networks and what happens to them: recipes, augmentation, the training worker, explanations, analysis."""
