package jtl

import "strings"

// column is a CSV column JMeter knows, in the order it writes them
// (CSVSaveService.printableFieldNamesToString).
type column uint8

const (
	colVar column = iota // a sample variable, or any column JMeter does not write
	colTimeStamp
	colElapsed
	colLabel
	colResponseCode
	colResponseMessage
	colThreadName
	colDataType
	colSuccess
	colFailureMessage
	colBytes
	colSentBytes
	colGrpThreads
	colAllThreads
	colURL
	colFilename
	colLatency
	colEncoding
	colSampleCount
	colErrorCount
	colHostname
	colIdleTime
	colConnect
)

var columnNames = [...]string{
	colTimeStamp:       "timeStamp",
	colElapsed:         "elapsed",
	colLabel:           "label",
	colResponseCode:    "responseCode",
	colResponseMessage: "responseMessage",
	colThreadName:      "threadName",
	colDataType:        "dataType",
	colSuccess:         "success",
	colFailureMessage:  "failureMessage",
	colBytes:           "bytes",
	colSentBytes:       "sentBytes",
	colGrpThreads:      "grpThreads",
	colAllThreads:      "allThreads",
	colURL:             "URL",
	colFilename:        "Filename",
	colLatency:         "Latency",
	colEncoding:        "Encoding",
	colSampleCount:     "SampleCount",
	colErrorCount:      "ErrorCount",
	colHostname:        "Hostname",
	colIdleTime:        "IdleTime",
	colConnect:         "Connect",
}

// DefaultColumns is the column set JMeter 5.x writes with stock
// jmeter.properties, which is what a header-less file is read with unless
// Options.Columns says otherwise.
var DefaultColumns = []string{
	"timeStamp", "elapsed", "label", "responseCode", "responseMessage", "threadName",
	"dataType", "success", "failureMessage", "bytes", "sentBytes", "grpThreads",
	"allThreads", "URL", "Latency", "IdleTime", "Connect",
}

// lookupColumn maps a header name to a column. Case is ignored because
// hand-written Options.Columns and tools that rewrite JTLs are not careful
// about it, and no two JMeter names differ only in case.
func lookupColumn(name string) column {
	for c := colTimeStamp; c <= colConnect; c++ {
		if strings.EqualFold(name, columnNames[c]) {
			return c
		}
	}
	return colVar
}
