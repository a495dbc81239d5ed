package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/allot-project/allot"
)

// newUserPage is the data of the form that creates a user.
type newUserPage struct {
	base
	UPN, Name, Location string
	Error               string
	Field               string // the field the refusal is about
}

// newUserForm shows the form that creates a user.
func (h *Handler) newUserForm(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.userManager(r); err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "usernew", &newUserPage{base: h.base(r, "users.add", "users")})
	return nil
}

// createUser creates a user with sign-in allowed and opens its pane; a
// refusal is shown beside the field it is about, the form kept.
func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) error {
	s, err := h.userManager(r)
	if err != nil {
		return err
	}
	pg := &newUserPage{base: h.base(r, "users.add", "users"), UPN: strings.TrimSpace(r.PostFormValue("upn")),
		Name: strings.TrimSpace(r.PostFormValue("name")), Location: strings.TrimSpace(r.PostFormValue("location"))}
	u := &allot.User{UserPrincipalName: pg.UPN, DisplayName: pg.Name, UsageLocation: strings.ToUpper(pg.Location), AccountEnabled: true}
	if err := h.svc.Users.CreateUser(r.Context(), s.p, u); err != nil {
		code := allot.ErrorCode(err)
		if code == allot.EINTERNAL || code == allot.EFORBIDDEN {
			return err
		}
		pg.Error, pg.Field = h.errorText(pg.Lang, err, nil), fieldOf(err)
		h.render(w, r, statusOf(code), "usernew", pg)
		return nil
	}
	http.Redirect(w, r, "/users/"+u.ID+"?saved=details", http.StatusSeeOther)
	return nil
}

// fieldOf returns the request property an error is about, "" if none.
func fieldOf(err error) string {
	var e *allot.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// userManager returns the session of a visitor who may create, change,
// delete and restore users.
func (h *Handler) userManager(r *http.Request) (*session, error) {
	s, err := h.session(r)
	if err != nil {
		return nil, err
	}
	return s, allot.Authorize(s.p, allot.ActionManageUsers)
}

// editUser changes a user's name, job title, usage location and whether
// sign-in is blocked, from the pane's details form.
func (h *Handler) editUser(w http.ResponseWriter, r *http.Request) error {
	s, err := h.userManager(r)
	if err != nil {
		return err
	}
	name, title := strings.TrimSpace(r.PostFormValue("name")), strings.TrimSpace(r.PostFormValue("jobTitle"))
	loc, enabled := strings.ToUpper(strings.TrimSpace(r.PostFormValue("location"))), r.PostFormValue("blocked") != "1"
	upd := allot.UserUpdate{DisplayName: &name, JobTitle: &title, UsageLocation: &loc, AccountEnabled: &enabled}
	id := r.PathValue("id")
	if _, err := h.svc.Users.UpdateUser(r.Context(), s.p, id, upd); err != nil {
		return h.refuseUser(w, r, s, id, err)
	}
	http.Redirect(w, r, "/users/"+id+"?saved=details", http.StatusSeeOther)
	return nil
}

// refuseUser shows a user's pane with a refusal above it.
func (h *Handler) refuseUser(w http.ResponseWriter, r *http.Request, s *session, id string, err error) error {
	u, ferr := h.svc.Users.FindUser(r.Context(), s.p, id)
	if ferr != nil {
		return err
	}
	pg, ferr := h.newUserPane(r, s, u)
	if ferr != nil {
		return ferr
	}
	return h.refusePane(w, r, pg, err)
}

// deleteUser asks to confirm, then deletes a user: its licenses are freed
// at once, and it can be restored for allot.DeletedRetention.
func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request) error {
	s, err := h.userManager(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if r.PostFormValue("step") != "run" {
		u, err := h.svc.Users.FindUser(r.Context(), s.p, id)
		if err != nil {
			return err
		}
		pg, err := h.newUserPane(r, s, u)
		if err != nil {
			return err
		}
		pg.Confirm = true
		h.render(w, r, http.StatusOK, "user", pg)
		return nil
	}
	if err := h.svc.Users.DeleteUser(r.Context(), s.p, id); err != nil {
		return h.refuseUser(w, r, s, id, err)
	}
	http.Redirect(w, r, "/users/deleted", http.StatusSeeOther)
	return nil
}

// restoreUser restores a deleted user with its licenses and opens its
// pane; a refusal (its name taken, no seat left) is shown on the error
// page.
func (h *Handler) restoreUser(w http.ResponseWriter, r *http.Request) error {
	s, err := h.userManager(r)
	if err != nil {
		return err
	}
	u, err := h.svc.Users.RestoreUser(r.Context(), s.p, r.PathValue("id"))
	if err != nil {
		return err // the error page says why, in the page's language
	}
	http.Redirect(w, r, "/users/"+u.ID+"?saved=restored", http.StatusSeeOther)
	return nil
}
