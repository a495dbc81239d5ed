package graph

import (
	"net/http"
	"time"

	"github.com/allot-project/allot"
)

// allot's view of users' data (U2, U3) and the impact preview (A4):
//
//	GET  /api/users/{id}/data                  → 200 UserDataInfo
//	POST /api/users/{id}/preview/assignLicense  assignLicense's body → 200 DataImpactInfo
//	POST /api/users/{id}/preview/delete         → 200 DataImpactInfo
//
// A preview is decided exactly as the change (same authorization, same
// refusals) and changes nothing.

// UserDataInfo is the state of a user's mailbox and files. Mailbox is
// "" (none), active, disconnected, inactive or purged; files "" (none),
// active, pendingDeletion or deleted.
type UserDataInfo struct {
	UserID                 string     `json:"userId"`
	UserPrincipalName      string     `json:"userPrincipalName"`
	Mailbox                string     `json:"mailbox"`
	MailboxCreatedDateTime *time.Time `json:"mailboxCreatedDateTime"`
	MailboxPurgeDateTime   *time.Time `json:"mailboxPurgeDateTime"`
	Files                  string     `json:"files"`
	FilesDeleteDateTime    *time.Time `json:"filesDeleteDateTime"`
}

// DataImpactInfo is what a change does to a user's data: the state before
// and after, whether a hold covers the user, whether content search
// reaches the mailbox before and after, and Summary, the same in one line
// of English ("mailbox disconnected now, purged on 2026-12-29 unless a
// license with a mailbox comes back; files kept; not searchable from now").
type DataImpactInfo struct {
	UserID            string       `json:"userId"`
	UserPrincipalName string       `json:"userPrincipalName"`
	Before            UserDataInfo `json:"before"`
	After             UserDataInfo `json:"after"`
	Held              bool         `json:"held"`
	SearchableBefore  bool         `json:"searchableBefore"`
	SearchableAfter   bool         `json:"searchableAfter"`
	Changed           bool         `json:"changed"`
	Summary           string       `json:"summary"`
}

// NewUserDataInfo describes d.
func NewUserDataInfo(d *allot.UserData) UserDataInfo {
	return UserDataInfo{UserID: d.UserID, UserPrincipalName: d.UserPrincipalName, Mailbox: string(d.Mailbox),
		MailboxCreatedDateTime: optTime(d.MailboxCreatedAt), MailboxPurgeDateTime: optTime(d.MailboxPurgeAt),
		Files: string(d.Files), FilesDeleteDateTime: optTime(d.FilesDeleteAt)}
}

// NewDataImpactInfo describes im.
func NewDataImpactInfo(im *allot.DataImpact) DataImpactInfo {
	return DataImpactInfo{UserID: im.UserID, UserPrincipalName: im.UserPrincipalName, Before: NewUserDataInfo(&im.Before),
		After: NewUserDataInfo(&im.After), Held: im.Held, SearchableBefore: im.SearchableBefore, SearchableAfter: im.SearchableAfter,
		Changed: im.Changed(), Summary: im.String()}
}

// DataSummaryInfo counts what a change over many users does to their
// data (allot.ImpactSummary), and Summary says it in one line of English
// ("2 users: 2 mailboxes disconnected (1 held), first purge on …").
type DataSummaryInfo struct {
	Users                 int        `json:"users"`
	MailboxesProvisioned  int        `json:"mailboxesProvisioned"`
	MailboxesReconnected  int        `json:"mailboxesReconnected"`
	MailboxesDisconnected int        `json:"mailboxesDisconnected"`
	Held                  int        `json:"held"`
	MailboxesPurged       int        `json:"mailboxesPurged"`
	FilesScheduled        int        `json:"filesScheduled"`
	FilesHeld             int        `json:"filesHeld"`
	FilesRestored         int        `json:"filesRestored"`
	NoLongerSearchable    int        `json:"noLongerSearchable"`
	FirstPurgeDateTime    *time.Time `json:"firstPurgeDateTime"`
	Summary               string     `json:"summary"`
}

// NewDataSummaryInfo describes s.
func NewDataSummaryInfo(s allot.ImpactSummary) DataSummaryInfo {
	return DataSummaryInfo{Users: s.Users, MailboxesProvisioned: s.MailboxesProvisioned, MailboxesReconnected: s.MailboxesReconnected,
		MailboxesDisconnected: s.MailboxesDisconnected, Held: s.Held, MailboxesPurged: s.MailboxesPurged, FilesScheduled: s.FilesScheduled,
		FilesHeld: s.FilesHeld, FilesRestored: s.FilesRestored, NoLongerSearchable: s.NoLongerSearchable,
		FirstPurgeDateTime: optTime(s.FirstPurge), Summary: s.String()}
}

func (s *Server) registerUserDataRoutes() {
	s.route("GET /api/users/{id}/data", s.getUserData)
	s.route("POST /api/users/{id}/preview/assignLicense", s.previewAssignLicense)
	s.route("POST /api/users/{id}/preview/delete", s.previewDelete)
	s.registerRetentionRoutes()
}

// data returns the data service, or 501 when the server has none.
func (s *Server) data() (allot.DataService, error) {
	if s.svc.Data == nil {
		return nil, allot.Errorf(allot.ENOTIMPL, "Users' data are not available on this server.")
	}
	return s.svc.Data, nil
}

func (s *Server) getUserData(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.data()
	if err != nil {
		return err
	}
	d, err := ds.FindUserData(r.Context(), principalFrom(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, NewUserDataInfo(d))
}

// previewAssignLicense takes assignLicense's body and answers what the
// change would do to the user's data.
func (s *Server) previewAssignLicense(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.data()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	infoFrom(r.Context()).target = id
	raw, err := s.readWriteBody(w, r)
	if err != nil {
		return err
	}
	ch, err := decodeLicenseChange(raw)
	if err != nil {
		return err
	}
	im, err := ds.PreviewLicenses(r.Context(), principalFrom(r), id, ch)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, NewDataImpactInfo(im))
}

func (s *Server) previewDelete(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.data()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	infoFrom(r.Context()).target = id
	im, err := ds.PreviewDelete(r.Context(), principalFrom(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, NewDataImpactInfo(im))
}
