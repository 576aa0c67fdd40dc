"""What cover letters and analyses share: their inputs (resume, job) and their quota."""
