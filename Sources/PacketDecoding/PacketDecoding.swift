// PacketDecoding
