module ceiling-edge-wsbackend

go 1.21
