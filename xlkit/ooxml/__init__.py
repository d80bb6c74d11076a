"""xlsx plumbing: zip entries, XML text and escaping, package parts, sheet protection, and the
safety prechecks a returned file passes before anything parses it."""
