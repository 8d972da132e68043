"""What registration records of the training data and drift compares against: the reference
profile, its bins and sketches, and how values and instants are typed."""
