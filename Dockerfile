# ampd container image: a static binary on a small base. Mount the configuration at
# /etc/ampd/ampd.toml and the store directory at /var/lib/ampd.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/ampd ./cmd/ampd
# The store directory, owned by the image's user: a named volume starts as a copy of it, so
# ampd (uid 65532, "nonroot") can create its store there. A bind mount keeps the host's owner:
# chown it to 65532 on the host.
RUN mkdir -p /out/state

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ampd /usr/local/bin/ampd
COPY --from=build --chown=65532:65532 /out/state /var/lib/ampd
VOLUME ["/var/lib/ampd"]
EXPOSE 9479
ENTRYPOINT ["/usr/local/bin/ampd"]
CMD ["run", "--config", "/etc/ampd/ampd.toml"]
