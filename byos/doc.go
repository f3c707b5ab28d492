// Package byos is ACS's bring-your-own-storage for callrec: a recording
// started with externalStorage (an Azure Blob container, or an S3 bucket as
// a callrec extension) has its files exported to that container once they
// are in callrec's own store, under ACS's blob layout, and its
// RecordingFileStatusUpdated event says whether the export succeeded.
//
// The operator allows destinations in a file (serve --external-storage)
// that maps each container URL to its credentials (Load); a start naming
// any other destination is refused (Destinations.Check). ParseStart
// validates the start option's shape. Exporter copies a recording's
// chunks (media and metadata document, byte for byte as callrec serves
// them) with retries, and reports the outcome; docs/byos.md describes the
// behaviour and the file.
package byos
