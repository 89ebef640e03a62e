import Foundation
import HTTP
import Security
import Store
import Web

/// Resident account pages: register, login, logout, マイページ, profile and password reset.
struct ResidentAccountRoutes: RouteCollection {
    let services: IdentityServices

    static let registrationThrottledMessage =
        "この接続元からの登録が続いています。しばらく時間をおいてから再度お試しください。"
    static let invalidResetMessage = "ログインIDまたは再設定コードが正しくないか、コードの有効期限が切れています。"

    func register(in routes: inout Routes) {
        let auth = services.authentication
        routes.get("/register", auth.guest(showRegistrationForm))
        routes.post("/register", auth.guest(registerResident))
        routes.get("/login", auth.guest(showLoginForm))
        routes.post("/login", auth.guest(logIn))
        routes.post("/logout", auth.resident(logOut))
        routes.get("/mypage", auth.resident(showMyPage))
        routes.get("/profile", auth.resident(showProfileForm))
        routes.post("/profile", auth.resident(saveProfile))
        routes.get("/reset", auth.guest(showResetForm))
        routes.post("/reset", auth.guest(resetPassword))
    }

    // MARK: Handlers

    func showRegistrationForm(_ request: Request, _ form: GuestForm) throws -> Response {
        if try services.authentication.currentResident(request) != nil { return .redirect(to: "/mypage") }
        return ResidentPages.register(
            values: [:], errors: FormErrors(), districts: try services.fetchDistricts(), csrfToken: form.csrfToken
        ).response()
    }

    func showLoginForm(_ request: Request, _ form: GuestForm) throws -> Response {
        if try services.authentication.currentResident(request) != nil { return .redirect(to: "/mypage") }
        let notice = request.query("reset") == "1" ? "パスワードを設定しました。新しいパスワードでログインしてください。" : nil
        return ResidentPages.login(loginID: "", errors: FormErrors(), notice: notice, csrfToken: form.csrfToken)
            .response()
    }

    func logIn(_ request: Request, _ guest: GuestForm) throws -> Response {
        let form = try request.form()
        let loginID = form["login_id"] ?? ""
        switch try services.login.logIn(.resident, loginID: loginID, password: form["password"] ?? "", request: request)
        {
        case .succeeded(_, _, let setCookie, let deviceCookie):
            return .redirect(to: "/mypage", settingCookie: setCookie, knownDevice: deviceCookie)
        case .rejected:
            return ResidentPages.login(
                loginID: loginID, errors: IdentityPages.formErrors(PasswordLogin.rejectionMessage, field: "login_id"),
                notice: nil, csrfToken: guest.csrfToken
            ).response(status: 401)
        case .throttled(let until):
            var response = ResidentPages.throttled(loginID: loginID, csrfToken: guest.csrfToken).response(status: 429)
            response.headers.append(("Retry-After", String(services.login.retryAfterSeconds(until))))
            return response
        }
    }

    func logOut(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let clearCookie = try services.authentication.endSession(resident.session, request: request)
        return .redirect(to: "/?signed_out=1", settingCookie: clearCookie)
    }

    func showMyPage(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        // Read before the page's read transaction: a commit in between then makes the entry stale at once. A
        // probe that fails only costs the cache.
        let version = try? services.database.dataVersion()
        let key = MyPageCache.Key(residentID: resident.id, csrfToken: resident.csrfToken, fullName: resident.fullName)
        if let version, let body = services.myPageCache.body(for: key, at: version) { return .html(body) }
        var sectionFailed = false
        let page = try services.database.read { [services] connection -> (Resident, [District], [(String, [Node])])? in
            guard let record = try ResidentStore.fetchResident(id: resident.id, on: connection) else { return nil }
            let sections = services.myPageSections.map { section in
                services.renderModuleBlock(
                    section.title, failure: "my page section failed", titleField: "section",
                    unavailable: "この欄はただいま表示できません。", request: request
                ) {
                    do {
                        return try section.render(residentID: resident.id, connection: connection)
                    } catch {
                        sectionFailed = true
                        throw error
                    }
                }
            }
            return (record, try ResidentStore.fetchDistricts(on: connection), sections)
        }
        guard let (record, districts, sections) = page else { throw HTTPError.notFound }
        let body = ResidentPages.myPage(resident: resident, record: record, districts: districts, sections: sections)
            .renderData()
        // A section that failed (busy database, a bug) shows "ただいま表示できません": not for keeping until the
        // next commit.
        if let version, !sectionFailed { services.myPageCache.store(body, for: key, at: version) }
        return .html(body)
    }

    func showProfileForm(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let loaded = try services.database.read { connection in
            (
                try ResidentStore.fetchResident(id: resident.id, on: connection),
                try ResidentStore.fetchDistricts(on: connection)
            )
        }
        guard let record = loaded.0 else { throw HTTPError.notFound }
        return ResidentPages.profile(
            resident: resident, values: ProfileFields.values(of: record.profile), errors: FormErrors(),
            districts: loaded.1, saved: request.query("saved") == "1"
        ).response()
    }

    func saveProfile(_ request: Request, _ resident: AuthenticatedResident) throws -> Response {
        let form = try request.form()
        let (districts, loginID) = try services.database.read { connection in
            (
                try ResidentStore.fetchDistricts(on: connection),
                try ResidentStore.fetchResident(id: resident.id, on: connection)?.loginID
            )
        }
        let (profile, errors) = ResidentRules.validateProfile(form, districts: districts, loginID: loginID)
        guard let profile else {
            return ResidentPages.profile(
                resident: resident, values: ProfileFields.values(of: form), errors: errors, districts: districts,
                saved: false
            ).response(status: 422)
        }
        let now = services.now()
        let event = AuditEvent(
            resident.auditActor, "resident.update", subjectType: "resident", subjectID: resident.id, request: request)
        try services.database.write { connection in
            try ResidentStore.updateProfile(residentID: resident.id, profile, at: now, on: connection)
            try AuditLog.append(event, at: now, on: connection)
        }
        return .redirect(to: "/profile?saved=1")
    }

    func showResetForm(_ request: Request, _ form: GuestForm) throws -> Response {
        ResidentPages.reset(values: [:], errors: FormErrors(), csrfToken: form.csrfToken).response()
    }

    func registerResident(_ request: Request, _ guest: GuestForm) throws -> Response {
        let csrfToken = guest.csrfToken
        let form = try request.form()
        let districts = try services.fetchDistricts()
        var errors = FormErrors()
        let loginID = ResidentRules.validatedLoginID(form["login_id"] ?? "", into: &errors, example: "090-1234-5678")
        let password = form["password"] ?? ""
        if let problem = PasswordRules.problem(
            with: password, minimumLength: ResidentRules.minimumPasswordLength, loginID: loginID)
        {
            errors.add("password", problem)
        } else if password != form["password_confirmation"] {
            errors.add("password_confirmation", "確認のために入力したパスワードが一致しません。")
        }
        let (profile, profileErrors) = ResidentRules.validateProfile(form, districts: districts, loginID: loginID)
        for error in profileErrors.all { errors.add(error.field, error.message) }

        func rerender(_ errors: FormErrors) -> Response {
            ResidentPages.register(
                values: ProfileFields.values(of: form), errors: errors, districts: districts, csrfToken: csrfToken
            ).response(status: 422)
        }
        guard errors.isEmpty, let loginID, let profile else { return rerender(errors) }

        let now = services.now()
        let policy = services.authentication.settings.throttle
        let registrationKey = LoginThrottle.registrationKey(request.clientAddress)
        if let until = try services.database.read({
            try LoginThrottle.fetchLockedUntil(keys: [registrationKey], now: now, on: $0)
        }) {
            var response = ResidentPages.register(
                values: ProfileFields.values(of: form),
                errors: IdentityPages.formErrors(Self.registrationThrottledMessage, field: "login_id"),
                districts: districts, csrfToken: csrfToken
            ).response(status: 429)
            response.headers.append(("Retry-After", String(services.login.retryAfterSeconds(until))))
            return response
        }
        let passwordHash = try services.hasher.hash(password)
        let residentID: Int64
        do {
            residentID = try services.database.write { connection in
                let id = try ResidentStore.insertResident(
                    loginID: loginID, passwordHash: passwordHash, profile: profile, via: .web, registeredByStaffID: nil,
                    at: now, on: connection)
                try LoginThrottle.recordRegistration(
                    clientAddress: request.clientAddress, policy: policy, at: now, on: connection)
                try AuditLog.append(
                    AuditEvent(
                        .resident(id: id), "resident.register", subjectType: "resident", subjectID: id, request: request
                    ),
                    at: now, on: connection)
                return id
            }
        } catch ResidentStore.RegistrationConflict.loginIDTaken {
            errors.add(
                "login_id",
                "このログインIDはすでに登録されています。ログインしてください。パスワードをお忘れの場合は役場の窓口にご相談ください。")
            return rerender(errors)
        }
        // Registering signs the resident in, with a fresh session like any login.
        let started = try services.authentication.startSession(for: .resident(id: residentID), replacing: request)
        return .redirect(to: "/mypage", settingCookie: started.setCookie)
    }

    func resetPassword(_ request: Request, _ guest: GuestForm) throws -> Response {
        let csrfToken = guest.csrfToken
        let form = try request.form()
        var values = ProfileFields.values(of: form)
        var errors = FormErrors()
        let loginIDText = form["login_id"] ?? ""
        let code = PasswordResetCode.normalize(form["code"] ?? "")
        if loginIDText.trimmingCharacters(in: .whitespaces).isEmpty { errors.add("login_id", "ログインIDを入力してください。") }
        if code.isEmpty { errors.add("code", "再設定コードを入力してください。") }
        let password = form["password"] ?? ""
        if let problem = PasswordRules.problem(
            with: password, minimumLength: ResidentRules.minimumPasswordLength,
            loginID: ResidentRules.normalizeLoginID(loginIDText))
        {
            errors.add("password", problem)
        } else if password != form["password_confirmation"] {
            errors.add("password_confirmation", "確認のために入力したパスワードが一致しません。")
        }
        guard errors.isEmpty else {
            return ResidentPages.reset(values: values, errors: errors, csrfToken: csrfToken).response(status: 422)
        }

        // The code is a password in all but name: the same throttle, the same single message for every failure.
        let now = services.now()
        let keys = services.login.throttleKeys(.resident, loginID: loginIDText, request: request)
        if let until = try services.login.lockedUntil(keys, now: now) {
            var response = ResidentPages.reset(
                values: values, errors: IdentityPages.formErrors(PasswordLogin.throttledMessage, field: "login_id"),
                csrfToken: csrfToken
            ).response(status: 429)
            response.headers.append(("Retry-After", String(services.login.retryAfterSeconds(until))))
            return response
        }
        let candidate: (residentID: Int64, codeID: Int64, codeHash: String)? = try services.database.read {
            connection in
            guard let loginID = ResidentRules.normalizeLoginID(loginIDText),
                let resident = try ResidentStore.fetchCredentials(loginID: loginID, on: connection),
                let active = try PasswordResetStore.fetchActiveCode(residentID: resident.id, at: now, on: connection)
            else { return nil }
            return (resident.id, active.id, active.codeHash)
        }
        guard let candidate, try services.hasher.verify(code, against: candidate.codeHash) else {
            if candidate == nil { try services.hasher.simulateVerification(code) }
            try services.login.recordFailure(
                keys,
                event: AuditEvent(
                    .guest, "password_reset.failure", subjectType: "resident", subjectID: candidate?.residentID,
                    request: request),
                now: now)
            values["code"] = ""
            return ResidentPages.reset(
                values: values, errors: IdentityPages.formErrors(Self.invalidResetMessage, field: "login_id"),
                csrfToken: csrfToken
            ).response(status: 422)
        }
        let passwordHash = try services.hasher.hash(password)
        let event = AuditEvent(
            .resident(id: candidate.residentID), "resident.password_reset", subjectType: "resident",
            subjectID: candidate.residentID, request: request)
        let accountKey = keys.account
        let used = try services.database.write { connection -> Bool in
            // Checked again on the writer: two tabs submitting the same code must not both succeed.
            guard try PasswordResetStore.markCodeUsed(id: candidate.codeID, at: now, on: connection) else {
                return false
            }
            try ResidentStore.updatePasswordHash(
                residentID: candidate.residentID, hash: passwordHash, at: now, on: connection)
            // A new password ends every existing session: whoever knew the old one is signed out.
            try SessionStore.deleteSessions(of: .resident(id: candidate.residentID), on: connection)
            try LoginThrottle.resetFailures(key: accountKey, on: connection)
            try AuditLog.append(event, at: now, on: connection)
            return true
        }
        guard used else {
            return ResidentPages.reset(
                values: values, errors: IdentityPages.formErrors(Self.invalidResetMessage, field: "login_id"),
                csrfToken: csrfToken
            ).response(status: 422)
        }
        return .redirect(to: "/login?reset=1")
    }
}

extension Response {
    /// A 303 that also sets the session cookie, or clears it: how every sign-in and sign-out page answers.
    static func redirect(to location: String, settingCookie setCookie: String) -> Response {
        Response(status: 303, headers: [("Location", location), ("Set-Cookie", setCookie)])
    }

    /// After a sign-in: the known-device cookie too, before the session cookie (a client that keeps only the
    /// last `Set-Cookie` of a response keeps the session).
    static func redirect(to location: String, settingCookie setCookie: String, knownDevice: String) -> Response {
        Response(
            status: 303, headers: [("Location", location), ("Set-Cookie", knownDevice), ("Set-Cookie", setCookie)])
    }
}
