// OpenSSL's own speed on this machine, the ceiling for encrypted figures:
// AES-256-GCM records per second at a size, X25519 operations per second.
#pragma once

double aesGcmRecordsPerSecond(int recordSize, double seconds);
double x25519OperationsPerSecond(double seconds);
