package xmlstream

import (
	"errors"
	"io"
)

const (
	initialBuffer = 4096
	minRead       = 512 // never call Read with less free space than this
	maxEmptyReads = 100 // like bufio: give up on a reader that makes no progress
)

// Splitter reads an XMPP stream and returns each top-level element's exact
// bytes. It is not safe for concurrent use.
type Splitter struct {
	r       io.Reader
	max     int
	limit   int   // the buffer never grows beyond this
	readErr error // error returned with the last bytes read, reported once they are scanned

	buf   []byte
	wr    int   // buf[:wr] holds data
	pos   int   // scan position in buf
	start int   // where the current top-level element starts in buf (if inElem)
	base  int64 // stream offset of buf[0]

	st      state
	level   int  // open elements inside the current top-level element
	quote   byte // quote character of the attribute value being scanned
	matched int  // progress through a multi-byte construct (see scan)

	names    []byte // names of the open elements, concatenated
	nameEnds []int  // end offsets in names, one per recorded open element
	stream   []byte // qualified name of the stream root, e.g. "stream:stream"

	inElem     bool   // a top-level element has started and not ended
	skipping   bool   // the current top-level element is too large and being discarded
	prefix     []byte // the first bytes of the element being skipped, for its TooLargeError
	headerMode bool   // looking for the stream header rather than stanzas
	sawDecl    bool
	header     *Header
	err        error // final error, returned by every later call
}

// maxLimit caps maxStanza so that offset arithmetic cannot overflow.
const maxLimit = 1 << 30

// NewSplitter returns a Splitter that reads from r and refuses top-level
// elements (and a stream header) larger than maxStanza bytes. maxStanza is
// clamped to [1, 1 GiB]. The buffer starts at 4 KiB and grows up to
// maxStanza plus 512 bytes.
func NewSplitter(r io.Reader, maxStanza int) *Splitter {
	return NewSplitterSize(r, maxStanza, initialBuffer)
}

// NewSplitterSize is NewSplitter with a starting buffer of readSize bytes
// (at least 512, at most the limit) instead of 4 KiB. A busy stream is read
// in fewer system calls when each Read may return more stanzas.
func NewSplitterSize(r io.Reader, maxStanza, readSize int) *Splitter {
	maxStanza = min(max(maxStanza, 1), maxLimit)
	limit := maxStanza + minRead
	return &Splitter{
		r:     r,
		max:   maxStanza,
		limit: limit,
		buf:   make([]byte, min(max(readSize, minRead), limit)),
	}
}

// Header reads the optional XML declaration and the stream open tag. It is
// called by the first Next if the caller did not call it; calling it again
// returns the same header.
func (s *Splitter) Header() (Header, error) {
	if s.header != nil {
		return *s.header, nil
	}
	if s.err != nil {
		return Header{}, s.err
	}
	s.headerMode = true
	for {
		ev, err := s.scan()
		if err == nil && ev == evMore {
			err = s.fill()
		}
		if err != nil {
			s.err = err
			return Header{}, err
		}
		if ev != evHeader {
			continue
		}
		h, err := parseHeader(s.buf[s.start:s.pos], s.base+int64(s.start))
		if err != nil {
			s.err = err
			return Header{}, err
		}
		s.stream = append([]byte(nil), s.names...)
		s.names, s.nameEnds = s.names[:0], s.nameEnds[:0]
		s.inElem, s.headerMode = false, false
		s.header = &h
		return h, nil
	}
}

// Next returns the next top-level element exactly as received. The bytes are
// valid only until the next call: they point into the Splitter's buffer.
//
// Whitespace between elements is skipped. At the stream's end tag Next
// returns io.EOF; if the connection ends before it, io.ErrUnexpectedEOF. An
// element larger than the limit is skipped in full and reported as a
// *TooLargeError; the following call continues with the next element. Any
// other error is final.
func (s *Splitter) Next() ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	if s.header == nil {
		if _, err := s.Header(); err != nil {
			return nil, err
		}
	}
	for {
		ev, err := s.scan()
		if err != nil {
			s.err = err
			return nil, err
		}
		switch ev {
		case evElement:
			s.inElem = false
			if s.skipping || s.pos-s.start > s.max {
				if !s.skipping {
					s.keepPrefix()
				}
				s.skipping = false
				return nil, &TooLargeError{Name: string(s.names), Limit: s.max, Prefix: s.prefix}
			}
			return s.buf[s.start:s.pos], nil
		case evStreamEnd:
			s.err = io.EOF
			return nil, io.EOF
		}
		if err := s.fill(); err != nil {
			s.err = err
			return nil, err
		}
	}
}

// startSkipping switches to discarding the current element: from now on only
// its depth and its top-level name are tracked.
func (s *Splitter) startSkipping() {
	s.keepPrefix()
	s.skipping = true
	if len(s.nameEnds) > 0 {
		s.nameEnds = s.nameEnds[:1]
		s.names = s.names[:s.nameEnds[0]]
	}
}

// keepPrefix copies the first PrefixBytes of the current element before its bytes are
// discarded: the caller can still tell whose stanza it was (a divert's route id and sender
// sit in its first few hundred bytes) and answer it instead of dropping it unseen.
func (s *Splitter) keepPrefix() {
	end := min(s.pos, s.start+PrefixBytes)
	s.prefix = append([]byte(nil), s.buf[s.start:end]...)
}

// fill makes room in the buffer and reads at least one byte into it.
func (s *Splitter) fill() error {
	// Everything scanned is done with, except an element being collected,
	// which scan guarantees to be at most s.max bytes: with the buffer
	// limit at s.max+minRead there is always room to read.
	keep := s.pos
	if s.inElem && !s.skipping {
		keep = s.start
	}
	if len(s.buf)-s.wr < minRead || keep == s.wr {
		s.discard(keep)
	}
	if len(s.buf)-s.wr < minRead && len(s.buf) < s.limit {
		grown := make([]byte, min(2*len(s.buf), s.limit))
		s.wr = copy(grown, s.buf[:s.wr])
		s.buf = grown
	}
	if s.readErr != nil {
		err := s.readErr
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	for range maxEmptyReads {
		n, err := s.r.Read(s.buf[s.wr:])
		if n < 0 || n > len(s.buf)-s.wr {
			return errors.New("xmlstream: reader returned an invalid count")
		}
		s.wr += n
		if err != nil {
			s.readErr = err
			if n == 0 {
				return s.fill()
			}
		}
		if n > 0 {
			return nil
		}
	}
	return io.ErrNoProgress
}

// discard drops buf[:keep] and moves the rest to the front.
func (s *Splitter) discard(keep int) {
	if keep == 0 {
		return
	}
	s.wr = copy(s.buf, s.buf[keep:s.wr])
	s.pos -= keep
	s.start -= keep
	s.base += int64(keep)
}
