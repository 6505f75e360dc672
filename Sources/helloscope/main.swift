print("helloscope")
