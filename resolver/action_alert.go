package resolver

// alert: a met rule discards the message and tells the sender (XEP-0079 §3.4.1).
func init() { RegisterAction(Action{Name: "alert"}) }
