//! Sieve parser, compiler and sans-I/O interpreter with its extensions.
