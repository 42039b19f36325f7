#include "spine/domain/events.h"

#include <flatbuffers/flatbuffers.h>

namespace spine::domain {

std::string_view event_type_name(const shop::EventBodyUnion& event) {
  return shop::EnumNameEventBody(event.type);
}

std::string_view command_name(const shop::CommandBodyUnion& command) {
  return shop::EnumNameCommandBody(command.type);
}

std::string encode_event(const shop::EventBodyUnion& event) {
  flatbuffers::FlatBufferBuilder builder(256);
  shop::EventT root;
  root.body = event;
  builder.Finish(shop::Event::Pack(builder, &root));
  return std::string(reinterpret_cast<const char*>(builder.GetBufferPointer()), builder.GetSize());
}

Result<shop::EventBodyUnion> decode_event(std::string_view payload, std::string_view event_type) {
  flatbuffers::Verifier verifier(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size());
  if (!shop::VerifyEventBuffer(verifier)) {
    return Error{"payload_invalid", "payload", "the payload is not a valid shop.Event FlatBuffer"};
  }
  const shop::Event* event = shop::GetEvent(payload.data());
  if (event->body_type() == shop::EventBody::NONE) {
    return Error{"payload_invalid", "payload", "the payload holds no event body"};
  }
  shop::EventBodyUnion body;
  body.type = event->body_type();
  body.value = shop::EventBodyUnion::UnPack(event->body(), event->body_type(), nullptr);
  if (!event_type.empty() && event_type_name(body) != event_type) {
    return Error{"payload_invalid", "event_type",
                 "the envelope says '" + std::string(event_type) + "' but the payload holds '" +
                     std::string(event_type_name(body)) + "'"};
  }
  return body;
}

std::string encode_command(const shop::CommandBodyUnion& command) {
  flatbuffers::FlatBufferBuilder builder(256);
  shop::CommandT root;
  root.body = command;
  builder.Finish(shop::Command::Pack(builder, &root));
  return std::string(reinterpret_cast<const char*>(builder.GetBufferPointer()), builder.GetSize());
}

Result<shop::CommandBodyUnion> decode_command(std::string_view bytes) {
  flatbuffers::Verifier verifier(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  if (!shop::VerifyCommandBuffer(verifier)) {
    return Error{"command_invalid", "command", "not a valid shop.Command FlatBuffer"};
  }
  const shop::Command* command = shop::GetCommand(bytes.data());
  if (command->body_type() == shop::CommandBody::NONE) {
    return Error{"command_invalid", "command", "the command holds no body"};
  }
  shop::CommandBodyUnion body;
  body.type = command->body_type();
  body.value = shop::CommandBodyUnion::UnPack(command->body(), command->body_type(), nullptr);
  return body;
}

}  // namespace spine::domain
