// CaptureInput
