package resolver

// error: a met rule discards the message and answers with a failed-rules error
// (XEP-0079 §3.4.3).
func init() { RegisterAction(Action{Name: "error"}) }
