print("peersniff")
