// CaptureLive
