package resolver

// notify: a met rule tells the sender and the message goes on as it would without AMP
// (XEP-0079 §3.4.4).
func init() { RegisterAction(Action{Name: "notify", Continues: true}) }
