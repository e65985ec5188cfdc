# ampd container image: a static binary on a small base. Mount the configuration at
# /etc/ampd/ampd.toml and the store directory at /var/lib/ampd.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/ampd ./cmd/ampd

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ampd /usr/local/bin/ampd
VOLUME ["/var/lib/ampd"]
EXPOSE 9479
ENTRYPOINT ["/usr/local/bin/ampd"]
CMD ["run", "--config", "/etc/ampd/ampd.toml"]
